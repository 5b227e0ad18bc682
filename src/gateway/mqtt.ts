import { createServer, type Server } from "node:net";
import { Aedes, type Client, type PublishPacket } from "aedes";
import mqtt, { type MqttClient } from "mqtt";
import type { GatewayCore } from "./core";
import {
  PACKAGES_SUBSCRIPTION,
  PackageRejected,
  rejectionsTopic,
  terminalInTopic,
  terminalOfTopic,
  TOPIC_PREFIX,
} from "./wire";

export interface BrokerHandle {
  mode: "embedded" | "external";
  url: string;
  up: () => boolean;
  close: () => Promise<void>;
}

type Log = (line: string) => void;

/** The reply a refused package gets on its terminal's rejections topic. */
function rejectionMessage(e: PackageRejected, topic: string) {
  return JSON.stringify({
    reason: e.reason,
    detail: e.detail,
    packageId: e.packageId,
    topic,
    at: new Date().toISOString(),
  });
}

/**
 * Runs one package from MQTT through the core. Resolves when the package is durably journaled or refused
 * (the refusal journaled and published), so the caller acknowledges only then.
 */
async function handle(
  core: GatewayCore,
  topic: string,
  payload: Buffer,
  reply: (topic: string, message: string) => void,
  log: Log,
): Promise<void> {
  const topicTerminal = terminalOfTopic(topic);
  try {
    if (topicTerminal === undefined) {
      const e = new PackageRejected(
        "WRONG_TOPIC",
        `mqtt ${topic}: not a packages topic (publish to ${TOPIC_PREFIX}/<terminalId>/packages)`,
        terminalInTopic(topic) ?? null,
      );
      await core.refused(e, "mqtt");
      throw e;
    }
    await core.submit(payload, "mqtt", `mqtt ${topic}`, topicTerminal);
  } catch (e) {
    if (!(e instanceof PackageRejected)) {
      log(`mqtt ${topic}: ${(e as Error).message}`);
      throw e;
    }
    const to = topicTerminal ?? e.terminalId;
    if (to) reply(rejectionsTopic(to), rejectionMessage(e, topic));
  }
}

/**
 * The embedded broker (aedes, MQTT 3.1.1) on `host:port`. A terminal's QoS 1 PUBACK is sent from aedes'
 * asynchronous authorizePublish hook, i.e. only after the package is journaled (or refused with a reply on its
 * rejections topic). Clients may subscribe only to rejections topics and publish only to packages topics.
 */
export async function startEmbeddedBroker(
  core: GatewayCore,
  host: string,
  port: number,
  log: Log,
): Promise<BrokerHandle> {
  const broker = await Aedes.createBroker({ heartbeatInterval: 60_000, drainTimeout: 10_000 });
  const reply = (topic: string, message: string) =>
    broker.publish(
      { cmd: "publish", topic, payload: Buffer.from(message), qos: 1, retain: false, dup: false } as PublishPacket,
      () => undefined,
    );
  broker.authorizePublish = (
    client: Client | null,
    packet: PublishPacket,
    callback: (error?: Error | null) => void,
  ) => {
    if (!client) return callback(null); // the broker's own replies
    if (
      packet.topic.startsWith("$SYS/") ||
      !packet.topic.startsWith(`${TOPIC_PREFIX}/`) ||
      packet.topic.endsWith("/rejections")
    )
      return callback(new Error(`publishing to ${packet.topic} is not allowed`));
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload);
    handle(core, packet.topic, payload, reply, log).then(
      () => callback(null),
      (e: Error) => callback(e),
    );
  };
  broker.authorizeSubscribe = (_client, sub, callback) => {
    if (/^gridledger\/v1\/(0x[0-9a-fA-F]{64}|\+)\/rejections$/.test(sub.topic)) return callback(null, sub);
    callback(new Error(`subscribing to ${sub.topic} is not allowed`), null);
  };
  // Packages are consumed by the gateway, never forwarded to other clients.
  broker.authorizeForward = (_client, packet) => (terminalOfTopic(packet.topic) ? null : packet);
  const server: Server = createServer(broker.handle);
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => resolve());
  });
  const address = server.address();
  const actualPort = typeof address === "object" && address ? address.port : port;
  let up = true;
  return {
    mode: "embedded",
    url: `mqtt://${host}:${actualPort}`,
    up: () => up,
    close: async () => {
      up = false;
      await new Promise<void>((resolve) => broker.close(() => resolve()));
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Subscribes through an external broker (e.g. Mosquitto) with a persistent session (clean session off, QoS 1)
 * and manual acknowledgement: the broker's delivery is acknowledged only after the package is journaled, so a
 * gateway crash means redelivery, which package ids make harmless.
 */
export async function connectExternalBroker(
  core: GatewayCore,
  url: string,
  clientId: string,
  log: Log,
): Promise<BrokerHandle> {
  // Called only after connect, once `client` is set.
  const reply = (topic: string, message: string) => client.publish(topic, message, { qos: 1 });
  const client: MqttClient = mqtt.connect(url, {
    clientId,
    clean: false,
    protocolVersion: 5,
    properties: { sessionExpiryInterval: 0xffffffff },
    reconnectPeriod: 1_000,
    customHandleAcks: (topic, message, _packet, done) => {
      handle(core, topic, message, reply, log).then(
        () => done(0),
        () => done(0x80), // unspecified error: the broker may redeliver
      );
    },
  });
  await new Promise<void>((resolve, reject) => {
    client!.once("connect", () => resolve());
    client!.once("error", reject);
  });
  client.on("error", (e) => log(`mqtt ${url}: ${e.message}`));
  await client.subscribeAsync(PACKAGES_SUBSCRIPTION, { qos: 1 });
  return {
    mode: "external",
    url,
    up: () => client!.connected,
    close: async () => {
      await client!.endAsync();
    },
  };
}
