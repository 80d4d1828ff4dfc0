import { readTriggerSettings, type TriggerSettings } from '../../lib/trigger/trigger-contract';

/** The trigger's configuration: its settings as the contract reads them from the environment. */
export type TriggerConfig = TriggerSettings;

/** Reads the configuration from `env`; a ConfigError names the variable and the value given. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): TriggerConfig {
  return readTriggerSettings(env);
}

let cached: TriggerConfig | undefined;

/** The configuration, read from process.env on first use and kept for the container's life. */
export function triggerConfig(): TriggerConfig {
  cached ??= loadConfig(process.env);
  return cached;
}
