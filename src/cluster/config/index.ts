/** Broker and topic configuration: Kafka's property names and defaults, parsed and validated once. */
export * from './broker-config.js';
export {
  TOPIC_CONFIG_DEFINITIONS,
  type TopicConfig,
  type TopicConfigDefinition,
  type TopicConfigEntry,
  describeTopicConfig,
  effectiveTopicConfig,
  toLogConfig,
  topicConfigDefinition,
  validateTopicConfigs,
} from './topic-config.js';
export { parseProperties, parsePropertiesWithLines, type PropertyEntry } from './properties.js';
export { TOPIC_CONFIG_BROKER_SYNONYMS } from './synonyms.js';
