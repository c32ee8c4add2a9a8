/** The connection and metadata layer the producer, admin client and consumer share. */
export { Cluster, type CoordinatorType, type RetryOptions } from './cluster.js';
export { BrokerLink, type RequestBody, type RequestOptions } from './broker-link.js';
export { MetadataCache, type BrokerInfo, type PartitionInfo, type TopicInfo, type MetadataUpdate } from './metadata-cache.js';
export { CLIENT_API_RANGES, clientRange, pickVersion, type VersionRange, type BrokerApiVersions } from './api-ranges.js';
