import type { KindTypes, OptionSpec } from "./config_options/spec.ts";
import { LISTENER_OPTIONS } from "./config_options/listeners.ts";
import { NATS_OPTIONS } from "./config_options/nats.ts";
import { OPERATION_OPTIONS } from "./config_options/operations.ts";
import { MQTT_OPTIONS } from "./config_options/mqtt.ts";
import { STORE_OPTIONS } from "./config_options/store.ts";
import { ADMISSION_OPTIONS } from "./config_options/admission.ts";

export type { Kind, KindTypes, OptionSpec } from "./config_options/spec.ts";

/** Every option with its default, in --help order; docs/configuration.md's table mirrors it. */
export const OPTIONS = [
  ...LISTENER_OPTIONS,
  ...NATS_OPTIONS,
  ...OPERATION_OPTIONS,
  ...MQTT_OPTIONS,
  ...STORE_OPTIONS,
  ...ADMISSION_OPTIONS,
] as const satisfies readonly OptionSpec[];

/** Validated, frozen configuration: one field per option, of its kind's type. */
export type Config = {
  readonly [O in (typeof OPTIONS)[number] as O["field"]]: KindTypes[O["kind"]];
};
