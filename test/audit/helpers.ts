/** What the audit tests share: fresh database files, and records read back as `telltale audit` reads them. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import type { AuditRecord } from '../../src/audit/record.js';
import { SqliteAuditStore } from '../../src/audit/sqlite-store.js';

/** A function that returns the path of a new database in a directory of its own, removed after each test. */
export function useTempDbs(prefix: string): () => string {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  return () => {
    const dir = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(dir);
    return join(dir, 'audit.db');
  };
}

/** The stored record, read back (body joined) by a read-only store, as `telltale audit show` does. */
export function storedRecord(path: string, id: string): AuditRecord | null {
  const reader = new SqliteAuditStore(path, { body: { mode: 'redacted', maxFieldChars: 65536 }, fsync: 'normal', readOnly: true });
  try {
    return reader.get(id);
  } finally {
    reader.close();
  }
}
