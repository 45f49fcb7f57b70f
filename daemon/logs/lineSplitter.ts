/** A line cut from a stream. `partial` lines are continued by the next line of the same stream. */
export interface SplitLine {
  data: Buffer;
  partial: boolean;
}

/**
 * Cuts a byte stream into lines on `\n`. A line longer than `maxLine` bytes is cut into pieces of
 * `maxLine` bytes marked `partial`, so memory stays bounded whatever a script prints. Bytes are never
 * decoded here: invalid UTF-8 passes through untouched.
 */
export class LineSplitter {
  private carry: Buffer[] = [];
  private carryLength = 0;

  constructor(private readonly maxLine: number) {}

  push(chunk: Buffer, out: SplitLine[]): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(10, start);
      if (newline === -1) {
        this.keep(chunk.subarray(start), out);
        return;
      }
      let line = chunk.subarray(start, newline);
      if (this.carryLength > 0) {
        line = Buffer.concat([...this.carry, line]);
        this.carry = [];
        this.carryLength = 0;
      }
      this.emitComplete(line, out);
      start = newline + 1;
    }
  }

  /** Emits what is left after the stream closed (a last line without newline) as `partial`. */
  end(out: SplitLine[]): void {
    if (this.carryLength === 0) return;
    out.push({ data: Buffer.concat(this.carry), partial: true });
    this.carry = [];
    this.carryLength = 0;
  }

  /**
   * Emits what is carried so far as a `partial` line, except an unfinished UTF-8 character at its end,
   * which waits for the rest of its bytes. Interactive jobs need this: a prompt has no newline yet.
   */
  cut(out: SplitLine[]): void {
    if (this.carryLength === 0) return;
    const all = Buffer.concat(this.carry);
    const keep = incompleteUtf8Tail(all);
    if (keep < all.length) out.push({ data: all.subarray(0, all.length - keep), partial: true });
    this.carry = keep > 0 ? [Buffer.from(all.subarray(all.length - keep))] : [];
    this.carryLength = keep;
  }

  private emitComplete(line: Buffer, out: SplitLine[]): void {
    let offset = 0;
    while (line.length - offset > this.maxLine) {
      out.push({ data: line.subarray(offset, offset + this.maxLine), partial: true });
      offset += this.maxLine;
    }
    out.push({ data: offset === 0 ? line : line.subarray(offset), partial: false });
  }

  private keep(rest: Buffer, out: SplitLine[]): void {
    // Copy: a subarray would pin the whole 64 KiB read chunk until the line ends.
    this.carry.push(Buffer.from(rest));
    this.carryLength += rest.length;
    if (this.carryLength < this.maxLine) return;
    let all = Buffer.concat(this.carry);
    while (all.length >= this.maxLine) {
      out.push({ data: all.subarray(0, this.maxLine), partial: true });
      all = all.subarray(this.maxLine);
    }
    this.carry = all.length > 0 ? [Buffer.from(all)] : [];
    this.carryLength = all.length;
  }
}

/** Bytes at the end of `data` that start a UTF-8 character whose continuation bytes have not come yet. */
export function incompleteUtf8Tail(data: Buffer): number {
  for (let back = 1; back <= Math.min(3, data.length); back++) {
    const byte = data[data.length - back];
    if ((byte & 0xc0) === 0x80) continue; // a continuation byte: look further back for the lead byte
    const length = byte >= 0xf0 ? 4 : byte >= 0xe0 ? 3 : byte >= 0xc0 ? 2 : 1;
    return length > back ? back : 0;
  }
  return 0;
}
