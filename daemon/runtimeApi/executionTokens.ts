import { webcrypto } from 'node:crypto';
import { errors, jwtVerify, SignJWT } from 'jose';

/** What an execution token proves. */
export interface ExecutionClaims {
  executionId: string;
  jobId: string;
  eventId: string | null;
}

const ISSUER = 'cronium-daemon';
const AUDIENCE = 'cronium-runtime-api';

/** Why a token was refused; `expired` gets its own message so users know to re-run, not to debug. */
export type TokenProblem = 'missing' | 'expired' | 'invalid';

/** HS256 tokens scoped to one execution, signed with a key derived from the home's master key. */
export class ExecutionTokens {
  // A CryptoKey imported once: given raw bytes or a KeyObject, jose imports the key again on every
  // sign and verify, which cost more than the signature itself.
  private readonly key: Promise<webcrypto.CryptoKey>;

  constructor(secret: Uint8Array) {
    this.key = webcrypto.subtle.importKey('raw', secret, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign', 'verify']);
  }

  async issue(claims: ExecutionClaims, expiresInSeconds: number): Promise<string> {
    const key = await this.key;
    return new SignJWT({ jobId: claims.jobId, eventId: claims.eventId, scope: 'execution' })
      .setProtectedHeader({ alg: 'HS256' })
      .setSubject(claims.executionId)
      .setIssuer(ISSUER)
      .setAudience(AUDIENCE)
      .setIssuedAt()
      .setExpirationTime(Math.floor(Date.now() / 1000) + Math.ceil(expiresInSeconds))
      .sign(key);
  }

  async verify(token: string | undefined): Promise<ExecutionClaims | TokenProblem> {
    if (token === undefined || token.length === 0) return 'missing';
    try {
      const { payload } = await jwtVerify(token, await this.key, { issuer: ISSUER, audience: AUDIENCE, algorithms: ['HS256'] });
      if (payload.scope !== 'execution' || typeof payload.sub !== 'string' || typeof payload.jobId !== 'string') {
        return 'invalid';
      }
      return { executionId: payload.sub, jobId: payload.jobId, eventId: typeof payload.eventId === 'string' ? payload.eventId : null };
    } catch (e) {
      return e instanceof errors.JWTExpired ? 'expired' : 'invalid';
    }
  }
}

/**
 * After its timeout a job still takes a moment to be stopped (the kill grace, 5 s by default) and to
 * report how it ended; the token outlives the timeout by this much and no more.
 */
export const TOKEN_GRACE_SECONDS = 30;

/**
 * A bound for the tokens of jobs without a timeout: the longest timeout a job may have (7 days). It is
 * a backstop, not the guard: the runtime API refuses a token the moment its execution ends, whatever
 * the token's expiry says, so a long bound only serves jobs that really run that long.
 */
export const UNTIMED_TOKEN_SECONDS = 7 * 24 * 60 * 60;

/** Token lifetime: the job's timeout plus {@link TOKEN_GRACE_SECONDS}, or {@link UNTIMED_TOKEN_SECONDS}. */
export function tokenLifetimeSeconds(timeoutMs: number | null): number {
  return timeoutMs === null ? UNTIMED_TOKEN_SECONDS : Math.ceil(timeoutMs / 1000) + TOKEN_GRACE_SECONDS;
}
