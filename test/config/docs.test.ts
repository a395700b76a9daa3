/** The README table and .env.example are generated from the declarations; stale copies fail here. */
import { describe, expect, test } from 'bun:test';
import { readFileSync } from 'node:fs';
import { renderEnvExample, withConfigTable } from '../../src/config/docs';
import { VARIABLES } from '../../src/config/registry';
import { loadConfig } from '../../src/config/config';

const root = new URL('../../', import.meta.url);

describe('generated configuration docs', () => {
  test('README.md configuration table is current (run `bun run config:docs`)', () => {
    const readme = readFileSync(new URL('README.md', root), 'utf8');
    expect(withConfigTable(readme)).toBe(readme);
  });

  test('.env.example is current (run `bun run config:docs`) and names every variable', () => {
    const example = readFileSync(new URL('.env.example', root), 'utf8');
    expect(example).toBe(renderEnvExample());
    for (const v of VARIABLES) expect(example).toContain(`${v.name}=`);
  });

  test('every declared default passes its own schema, and .env.example with its required values filled in loads', () => {
    const env: Record<string, string> = {};
    for (const line of renderEnvExample().split('\n')) {
      const m = /^#? ?([A-Z][A-Z0-9_]*)=(.*)$/.exec(line);
      if (m) env[m[1]!] = m[2]!;
    }
    for (const v of VARIABLES) if (v.required) env[v.name] = 'filled-in';
    expect(() => loadConfig(env)).not.toThrow();
  });
});
