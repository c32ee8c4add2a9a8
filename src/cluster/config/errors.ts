/**
 * A configuration problem a person must fix: an unknown property, a value of the wrong type or out
 * of range, or properties that contradict each other. The message is written for that person: it
 * names the property, the bad value and what is expected. The broker turns it into INVALID_CONFIG
 * for CreateTopics/AlterConfigs; the CLI prints it and exits with status 2.
 */
export class ConfigError extends Error {
  /** The property at fault, when one property is. */
  readonly property: string | undefined;

  constructor(message: string, property?: string) {
    super(message);
    this.name = 'ConfigError';
    this.property = property;
  }
}
