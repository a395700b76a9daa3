/**
 * Writes the README configuration table and .env.example from the declarations in src/config/vars.
 * Usage: bun run config:docs   (test/config/docs.test.ts fails when either is stale)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { renderEnvExample, withConfigTable } from '../src/config/docs';

const root = fileURLToPath(new URL('..', import.meta.url));
const readme = `${root}README.md`;
writeFileSync(readme, withConfigTable(readFileSync(readme, 'utf8')));
writeFileSync(`${root}.env.example`, renderEnvExample());
console.log('wrote README.md (configuration table) and .env.example');
