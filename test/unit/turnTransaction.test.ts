import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TurnTransaction } from '../../daemon/store/turnTransaction';

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe('TurnTransaction', () => {
  let dir: string;
  let db: Database.Database;
  let other: Database.Database;
  let errors: unknown[];
  let turn: TurnTransaction;
  const count = (conn: Database.Database): number => (conn.prepare('SELECT count(*) AS n FROM t').get() as { n: number }).n;
  const insert = (value: number): void => {
    turn.join();
    db.prepare('INSERT INTO t (v) VALUES (?)').run(value);
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'turn-'));
    db = new Database(join(dir, 'db.sqlite'));
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (v INTEGER NOT NULL UNIQUE)');
    other = new Database(join(dir, 'db.sqlite'), { readonly: true });
    errors = [];
    turn = new TurnTransaction(db, (e) => errors.push(e));
  });
  afterEach(() => {
    other.close();
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('commits the writes of a turn together at its end', async () => {
    insert(1);
    insert(2);
    assert.equal(count(other), 0, 'another connection sees nothing before the commit');
    assert.equal(count(db), 2, 'the daemon reads its own writes');
    await nextTurn();
    assert.equal(count(other), 2);
    assert.equal(db.inTransaction, false);
  });

  it('commits at once when asked (before a message leaves, before a process starts)', () => {
    insert(1);
    turn.commit();
    assert.equal(count(other), 1);
    insert(2);
    assert.equal(db.inTransaction, true, 'a write after the commit opens the next transaction');
    turn.commit();
    assert.equal(count(other), 2);
  });

  it('a failing statement loses only itself, not the turn', async () => {
    insert(1);
    assert.throws(() => insert(1), /UNIQUE/);
    insert(2);
    await nextTurn();
    assert.equal(count(other), 2);
    assert.deepEqual(errors, []);
  });

  it('a transaction function inside the turn becomes a savepoint of it', async () => {
    const both = db.transaction((a: number, b: number) => {
      insert(a);
      insert(b);
    });
    insert(1);
    assert.throws(() => both(2, 1), /UNIQUE/);
    assert.equal(count(db), 1, 'the failed function rolled back to its savepoint');
    both(2, 3);
    await nextTurn();
    assert.equal(count(other), 3);
  });

  it('a commit that fails is rolled back and reported, and the next turn writes again', async () => {
    db.pragma('foreign_keys = ON');
    // A deferred foreign key is checked at COMMIT: the one way to make a commit itself fail here.
    db.exec('CREATE TABLE parent (id INTEGER PRIMARY KEY); CREATE TABLE child (p INTEGER REFERENCES parent (id) DEFERRABLE INITIALLY DEFERRED)');
    insert(1);
    db.prepare('INSERT INTO child (p) VALUES (42)').run();
    await nextTurn();
    assert.equal(errors.length, 1);
    assert.match(String(errors[0]), /FOREIGN KEY/);
    assert.equal(db.inTransaction, false);
    assert.equal(count(other), 0, 'the whole turn was rolled back');
    insert(5);
    await nextTurn();
    assert.equal(count(other), 1);
  });
});
