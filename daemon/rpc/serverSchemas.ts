import { isAbsolute } from 'node:path';
import * as z from 'zod/mini';
import { SERVER_AUTH_METHODS } from '../protocol/servers';

const serverName = z.string().check(
  z.regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$/, 'server names are letters, digits, _ . - (at most 63, starting with a letter or digit)'),
  z.refine((name) => !/^srv_[a-z0-9]{12}$/.test(name), 'looks like a server id: choose another name'),
);
const serverRef = z.string().check(z.minLength(1), z.maxLength(200));
// A DNS name, an IPv4 address, or an IPv6 address (without brackets).
const host = z.string().check(
  z.maxLength(253),
  z.regex(/^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$|^[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*$/, 'is not a host name or IP address'),
);
const fields = {
  host: z.optional(host),
  port: z.optional(z.int().check(z.minimum(1, 'must be a port from 1 to 65535'), z.maximum(65535, 'must be a port from 1 to 65535'))),
  username: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_][A-Za-z0-9_.@-]{0,63}$/, 'is not a user name'))),
  auth: z.optional(z.enum(SERVER_AUTH_METHODS)),
  privateKey: z.optional(
    z.string().check(
      z.maxLength(64 * 1024, 'private keys are limited to 64 KiB'),
      z.refine((key) => /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(key), 'is not a private key in OpenSSH or PEM form (-----BEGIN … PRIVATE KEY-----)'),
    ),
  ),
  passphrase: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  password: z.optional(z.string().check(z.minLength(1), z.maxLength(1024))),
  agentSocket: z.optional(z.string().check(z.refine(isAbsolute, 'must be an absolute path'))),
  jump: z.optional(z.string().check(z.maxLength(200))),
};

export const addServerSchema = z.strictObject({ name: serverName, ...fields, host });
export const updateServerSchema = z.strictObject({ server: serverRef, name: z.optional(serverName), ...fields });
export const serverRefSchema = z.strictObject({ server: serverRef });
export const trustServerSchema = z.strictObject({
  server: serverRef,
  fingerprint: z.optional(z.string().check(z.regex(/^SHA256:[A-Za-z0-9+/]{43}$/, 'is not a SHA256 fingerprint as ssh-keygen -lf prints it (SHA256: and 43 characters)'))),
  knownHostsFile: z.optional(z.string().check(z.refine(isAbsolute, 'must be an absolute path'))),
});
