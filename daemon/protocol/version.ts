/**
 * Version of the daemon protocol. A client sends the version it was built against in
 * `lifecycle/initialize`; the daemon refuses a different major version with
 * {@link ErrorCodes.ProtocolMismatch}.
 */
export const PROTOCOL_VERSION = 1;
