import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import pg from 'pg';

export type Dialect = 'sqlite' | 'postgres';

/**
 * The few calls the centre's store makes of a database, the same for SQLite and PostgreSQL. SQL is
 * written once with `?` placeholders and the shared subset of both dialects (ON CONFLICT, RETURNING,
 * partial indexes); only the migrations differ where the types do.
 */
export interface SqlDb {
  readonly dialect: Dialect;
  all<T>(sql: string, args?: unknown[]): Promise<T[]>;
  /** Rows changed. */
  run(sql: string, args?: unknown[]): Promise<number>;
  exec(sql: string): Promise<void>;
  /** Runs `work` in one transaction on one connection; rolled back if it throws. */
  transaction(work: (db: SqlDb) => Promise<void>): Promise<void>;
  close(): Promise<void>;
}

class SqliteDb implements SqlDb {
  readonly dialect = 'sqlite';
  private readonly db: Database.Database;

  constructor(file: string) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    // NORMAL with WAL: a power cut may lose the last transactions, never corrupt the file.
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
  }

  all<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    const s = this.db.prepare(sql);
    return Promise.resolve((s.reader ? s.all(...args) : (s.run(...args), [])) as T[]);
  }

  run(sql: string, args: unknown[] = []): Promise<number> {
    return Promise.resolve(this.db.prepare(sql).run(...args).changes);
  }

  exec(sql: string): Promise<void> {
    this.db.exec(sql);
    return Promise.resolve();
  }

  async transaction(work: (db: SqlDb) => Promise<void>): Promise<void> {
    // Every call below is synchronous underneath: nothing else runs on this connection in between
    // except what `work` itself awaits.
    this.db.exec('BEGIN');
    try {
      await work(this);
      this.db.exec('COMMIT');
    } catch (err) {
      this.db.exec('ROLLBACK');
      throw err;
    }
  }

  close(): Promise<void> {
    this.db.close();
    return Promise.resolve();
  }
}

/** `?` placeholders as PostgreSQL's `$1, $2…` (the store's SQL has no `?` inside string literals). */
const numbered = (sql: string) => {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
};

// BIGINT (a box's event seq) comes back as a number: every value the store keeps fits in 2^53.
pg.types.setTypeParser(20, (v) => Number(v));

class PostgresDb implements SqlDb {
  readonly dialect = 'postgres';
  constructor(private readonly pool: pg.Pool | pg.PoolClient) {}

  async all<T>(sql: string, args: unknown[] = []): Promise<T[]> {
    return (await this.pool.query(numbered(sql), args)).rows as T[];
  }

  async run(sql: string, args: unknown[] = []): Promise<number> {
    return (await this.pool.query(numbered(sql), args)).rowCount ?? 0;
  }

  async exec(sql: string): Promise<void> {
    await this.pool.query(sql);
  }

  async transaction(work: (db: SqlDb) => Promise<void>): Promise<void> {
    if (!(this.pool instanceof pg.Pool)) return work(this);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      await work(new PostgresDb(client));
      await client.query('COMMIT');
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    if (this.pool instanceof pg.Pool) await this.pool.end();
  }
}

/** A SQLite file path, or a `postgres://` URL. */
export async function openDb(database: string): Promise<SqlDb> {
  if (!/^postgres(ql)?:\/\//.test(database)) return new SqliteDb(database);
  const pool = new pg.Pool({ connectionString: database, max: 4, connectionTimeoutMillis: 10_000 });
  // A pooled connection that fails while idle (the server restarted) is an event, not a crash.
  pool.on('error', () => undefined);
  await pool.query('SELECT 1');
  return new PostgresDb(pool);
}
