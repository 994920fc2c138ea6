/** The SQL databases the call store runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

/** Column types that differ between the two. */
export function columnTypes(dialect: SqlDialectName) {
  return dialect === 'postgres'
    ? ({ timestamp: 'timestamptz', json: 'jsonb', flag: 'boolean', bigNumber: 'bigint' } as const)
    : ({ timestamp: 'text', json: 'text', flag: 'integer', bigNumber: 'integer' } as const);
}
