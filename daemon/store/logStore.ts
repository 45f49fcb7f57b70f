import type { Statement } from 'better-sqlite3';
import type { Db } from './database';

/** 1 = stdout, 2 = stderr, as stored. */
export type StreamCode = 1 | 2;

/** A log line as stored: `data` is a string when the bytes were valid UTF-8, else the bytes. */
export interface StoredLine {
  seq: number;
  stream: StreamCode;
  ts: number;
  data: string | Buffer;
  partial: boolean;
}

interface LogRow {
  seq: number;
  stream: StreamCode;
  ts: number;
  data: string | Buffer;
  partial: number;
}

/** Rows per multi-row INSERT: one statement call per 100 lines is ~40% faster than one per line. */
const ROWS_PER_INSERT = 100;
const COLUMNS = '(?, ?, ?, ?, ?, ?)';

/** Prepared statements for `execution_logs` (lines are per execution). Writes are batched in one transaction per call. */
export class LogStore {
  private readonly insertOne: Statement;
  private readonly insertMany: Statement;
  private readonly readPage: Statement<[string, number, number], LogRow>;
  private readonly lastSeqStmt: Statement<[string], { seq: number | null }>;
  private readonly batchTx: (fn: () => void) => void;
  private readonly appendTx: (executionId: string, lines: readonly StoredLine[], alongside?: () => void) => void;

  constructor(
    db: Db,
    /** Called before each write: the daemon joins it to the turn's transaction (see TurnTransaction). */
    private readonly beforeWrite: () => void = () => undefined,
  ) {
    this.insertOne = db.prepare(`INSERT INTO execution_logs (execution_id, seq, stream, ts, data, partial) VALUES ${COLUMNS}`);
    this.insertMany = db.prepare(
      `INSERT INTO execution_logs (execution_id, seq, stream, ts, data, partial) VALUES ${Array(ROWS_PER_INSERT).fill(COLUMNS).join(', ')}`,
    );
    this.readPage = db.prepare(
      'SELECT seq, stream, ts, data, partial FROM execution_logs WHERE execution_id = ? AND seq > ? ORDER BY seq LIMIT ?',
    );
    this.lastSeqStmt = db.prepare('SELECT max(seq) AS seq FROM execution_logs WHERE execution_id = ?');
    this.batchTx = db.transaction((fn: () => void) => fn());
    this.appendTx = db.transaction((executionId: string, lines: readonly StoredLine[], alongside?: () => void) => {
      let i = 0;
      const args: unknown[] = new Array(ROWS_PER_INSERT * 6);
      for (; i + ROWS_PER_INSERT <= lines.length; i += ROWS_PER_INSERT) {
        for (let j = 0; j < ROWS_PER_INSERT; j++) {
          const line = lines[i + j];
          const at = j * 6;
          args[at] = executionId;
          args[at + 1] = line.seq;
          args[at + 2] = line.stream;
          args[at + 3] = line.ts;
          args[at + 4] = line.data;
          args[at + 5] = line.partial ? 1 : 0;
        }
        this.insertMany.run(args);
      }
      for (; i < lines.length; i++) {
        const line = lines[i];
        this.insertOne.run(executionId, line.seq, line.stream, line.ts, line.data, line.partial ? 1 : 0);
      }
      alongside?.();
    });
  }

  /**
   * Stores `lines` in one transaction. `alongside` runs inside it, so the writes it makes on this database
   * (an execution's resume point: lines and bytes stored so far) commit with the lines or not at all: a daemon
   * killed between two separate commits would resume at an offset that disagrees with the stored lines,
   * and store them again under sequence numbers that are taken (issue 7). A throw rolls both back.
   */
  append(executionId: string, lines: readonly StoredLine[], alongside?: () => void): void {
    if (lines.length === 0) return;
    this.beforeWrite();
    this.appendTx(executionId, lines, alongside);
  }

  /** Runs `fn` in one transaction: appends inside it become savepoints of one commit. */
  inTransaction(fn: () => void): void {
    this.beforeWrite();
    this.batchTx(fn);
  }

  read(executionId: string, afterSeq: number, limit: number): StoredLine[] {
    return this.readPage.all(executionId, afterSeq, limit).map((row) => ({ ...row, partial: row.partial === 1 }));
  }

  lastSeq(executionId: string): number {
    return this.lastSeqStmt.get(executionId)?.seq ?? 0;
  }
}
