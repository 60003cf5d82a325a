// JSON-RPC 1.0 messages as Open vSwitch uses them (lib/jsonrpc.c): requests, notifications,
// replies and errors, told apart by which members are present, validated with upstream's
// messages ("request must have \"params\"" …). Owns the message model and its JSON form; knows
// nothing of sockets (jsonrpc_connection.ts moves messages over a stream).

import { isJsonObject, type Json, type JsonObject } from "./json_value.ts";

export type JsonRpcMessage =
  | { type: "request"; method: string; params: Json[]; id: Json }
  | { type: "notify"; method: string; params: Json[] }
  | { type: "reply"; result: Json; id: Json }
  | { type: "error"; error: Json; id: Json };

export function request(method: string, params: Json[], id: Json): JsonRpcMessage {
  return { type: "request", method, params, id };
}

export function notify(method: string, params: Json[]): JsonRpcMessage {
  return { type: "notify", method, params };
}

export function reply(result: Json, id: Json): JsonRpcMessage {
  return { type: "reply", result, id };
}

export function errorReply(error: Json, id: Json): JsonRpcMessage {
  return { type: "error", error, id };
}

/**
 * The message as it goes on the wire, members in the order Open vSwitch 3.1 writes them (its
 * object members come out in hash order, which puts "id" first), with null where it sends null.
 */
export function messageToJson(message: JsonRpcMessage): JsonObject {
  switch (message.type) {
    case "request":
      return { id: message.id, method: message.method, params: message.params };
    case "notify":
      return { id: null, method: message.method, params: message.params };
    case "reply":
      return { id: message.id, result: message.result, error: null };
    case "error":
      return { id: message.id, error: message.error };
  }
}

const KNOWN_MEMBERS = new Set(["method", "params", "result", "error", "id"]);

/**
 * Interprets a received JSON value as a message. Returns the message, or upstream's reason why it
 * is not one (the connection is then dropped, as upstream does).
 */
export function messageFromJson(json: Json): JsonRpcMessage | { invalid: string } {
  if (!isJsonObject(json)) return { invalid: "message is not a JSON object" };
  const method = json["method"];
  if (method !== undefined && method !== null && typeof method !== "string") {
    return { invalid: "method is not a JSON string" };
  }
  for (const key of Object.keys(json)) {
    if (!KNOWN_MEMBERS.has(key)) return { invalid: `message has unexpected member "${key}"` };
  }
  const present = (key: string) => json[key] !== undefined && json[key] !== null;
  const params = json["params"];
  if (present("params") && !Array.isArray(params)) {
    return { invalid: '"params" must be JSON array' };
  }
  const type = present("result")
    ? "reply"
    : present("error")
    ? "error"
    : present("id")
    ? "request"
    : "notify";
  const pattern: Record<typeof type, [boolean, boolean, boolean, boolean, boolean]> = {
    // method, params, result, error, id
    request: [true, true, false, false, true],
    notify: [true, true, false, false, false],
    reply: [false, false, true, false, true],
    error: [false, false, false, true, true],
  };
  const want = pattern[type];
  const names = ["method", "params", "result", "error", "id"] as const;
  for (let i = 0; i < names.length; i++) {
    const name = names[i] as string;
    if (present(name) !== want[i]) {
      const typeName = type === "notify" ? "notification" : type;
      return { invalid: `${typeName} must${want[i] ? "" : " not"} have "${name}"` };
    }
  }
  switch (type) {
    case "request":
      return request(method as string, params as Json[], json["id"] as Json);
    case "notify":
      return notify(method as string, params as Json[]);
    case "reply":
      return reply(json["result"] as Json, json["id"] as Json);
    case "error":
      return errorReply(json["error"] as Json, json["id"] as Json);
  }
}

/** The message type's name as upstream prints it in logs. */
export function messageTypeName(message: JsonRpcMessage): string {
  return message.type === "notify" ? "notification" : message.type;
}
