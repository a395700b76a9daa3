/** The declared sections and variables as plain lists (loader, docs, unknown-variable warnings). */
import { variablesOf, type AnySection, type EnvVar } from './define';
import * as declared from './vars';

export const SECTIONS: readonly AnySection[] = Object.values(declared);

export const VARIABLES: readonly EnvVar<unknown>[] = SECTIONS.flatMap((s) => Object.values(s.vars).flatMap(variablesOf));

{
  const seen = new Set<string>();
  for (const variable of VARIABLES) {
    if (seen.has(variable.name)) throw new Error(`config: ${variable.name} is declared twice`);
    seen.add(variable.name);
  }
  const keys = new Set<string>();
  for (const s of SECTIONS) {
    if (keys.has(s.key)) throw new Error(`config: section key ${JSON.stringify(s.key)} is declared twice`);
    keys.add(s.key);
  }
}
