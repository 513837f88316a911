#!/usr/bin/env bun
import { type Broker, startBroker } from "./broker.ts";
import { helpText, loadConfig } from "./config.ts";
import { ConfigError, describeError, NatsSetupError, RuntimeSupportError } from "./errors.ts";
import { createLogger } from "./log.ts";
import { type EmbeddedNats, startEmbeddedNats } from "./nats/embedded.ts";

async function main(): Promise<number> {
  let request;
  try {
    request = loadConfig({ argv: process.argv.slice(2), env: process.env });
  } catch (err) {
    if (err instanceof ConfigError) return fail(err.message, 2);
    throw err;
  }
  if (request.kind === "help") {
    process.stdout.write(helpText());
    return 0;
  }
  const config = request.config;
  const log = createLogger(config.logLevel);

  let embedded: EmbeddedNats | null = null;
  let broker: Broker | null = null;
  let stopping = false;
  const stop = async (signal: string, code: number, drainFirst = false): Promise<void> => {
    if (stopping) return;
    stopping = true;
    log.info("broker.stopping", { signal, drain: drainFirst });
    if (drainFirst) await broker?.drain();
    await broker?.stop();
    await embedded?.stop();
    process.exit(code);
  };
  // SIGTERM is a deploy's: drain first, so clients move over without their wills firing.
  // SIGINT is a terminal's: stop now. SIGUSR2 drains and stays up, not ready, until stopped.
  process.on("SIGINT", () => void stop("SIGINT", 0));
  process.on("SIGTERM", () => void stop("SIGTERM", 0, true));
  process.on("SIGUSR2", () => void broker?.drain());
  process.on("SIGHUP", () => {
    try {
      broker?.reloadUsers();
    } catch (err) {
      // A broken users file keeps the one that worked: nobody is locked out by a typo.
      log.error("users.reload_failed", describeError(err));
    }
  });

  try {
    let natsUrl = config.natsUrl;
    if (!natsUrl) {
      embedded = await startEmbeddedNats({
        bin: config.natsServerBin,
        dataDir: config.dataDir,
        port: config.embeddedNatsPort,
        log,
        onExit: () => void stop("nats-server exited", 1),
      });
      natsUrl = embedded.url;
    }
    broker = await startBroker(config, log, natsUrl);
  } catch (err) {
    await embedded?.stop();
    if (err instanceof NatsSetupError) return fail(err.message, 1);
    if (err instanceof ConfigError || err instanceof RuntimeSupportError) {
      return fail(err.message, 2);
    }
    log.error("broker.start_failed", describeError(err));
    return 1;
  }
  return -1;
}

function fail(message: string, code: number): number {
  process.stderr.write(`jetmq: ${message}\n`);
  return code;
}

const code = await main();
if (code >= 0) process.exit(code);
