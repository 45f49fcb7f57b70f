/** What replaces a secret in logs. */
export const MASK = '***';

/** Shorter fragments are not masked: they would hide ordinary text and protect nothing. */
const MIN_SECRET_LENGTH = 4;

/**
 * Replaces the values of secret variables in log lines with `***` before they are stored or sent.
 * A multi-line secret is masked line by line, since logs are cut into lines first.
 */
export class Redactor {
  private needles: string[] = [];
  private byteNeedles: Buffer[] = [];
  /** Secrets by owner (secret variables, server credentials): each owner replaces only its own. */
  private readonly groups = new Map<string, readonly string[]>();

  setSecrets(values: readonly string[], group = 'variables'): void {
    this.groups.set(group, values);
    const parts = new Set<string>();
    for (const value of [...this.groups.values()].flat()) {
      for (const part of [value, ...value.split(/\r?\n/)]) if (part.length >= MIN_SECRET_LENGTH) parts.add(part);
    }
    // Longest first, so a secret that contains another is masked whole.
    this.needles = [...parts].sort((a, b) => b.length - a.length);
    this.byteNeedles = this.needles.map((n) => Buffer.from(n));
  }

  get active(): boolean {
    return this.needles.length > 0;
  }

  text(line: string): string {
    let out = line;
    for (const needle of this.needles) if (out.includes(needle)) out = out.split(needle).join(MASK);
    return out;
  }

  /** For lines that are not valid UTF-8: masks at the byte level. */
  bytes(line: Buffer): Buffer {
    let out = line;
    for (const needle of this.byteNeedles) {
      let at = out.indexOf(needle);
      while (at !== -1) {
        out = Buffer.concat([out.subarray(0, at), Buffer.from(MASK), out.subarray(at + needle.length)]);
        at = out.indexOf(needle, at + MASK.length);
      }
    }
    return out;
  }
}

/** What a log writer needs of a redactor. */
export interface LineRedactor {
  readonly active: boolean;
  text(line: string): string;
  bytes(line: Buffer): Buffer;
}

/**
 * The daemon's secrets plus one execution's own: its runtime API token, which the script has in its
 * environment and may print (`printenv`), is masked like a secret variable.
 */
export class ScopedRedactor implements LineRedactor {
  private readonly own = new Redactor();

  constructor(private readonly shared: Redactor) {}

  /** Masks these values too, from now on. */
  add(values: readonly string[]): void {
    this.own.setSecrets(values);
  }

  get active(): boolean {
    return this.own.active || this.shared.active;
  }

  text(line: string): string {
    return this.shared.text(this.own.active ? this.own.text(line) : line);
  }

  bytes(line: Buffer): Buffer {
    return this.shared.bytes(this.own.active ? this.own.bytes(line) : line);
  }
}
