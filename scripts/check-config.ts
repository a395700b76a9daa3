/**
 * Checks the environment's configuration without connecting anywhere: every problem (exit 78, EX_CONFIG) and a
 * warning per unknown variable with one of our prefixes. `bun run worker` runs it before the build, so a typo
 * costs a second, not a build. Usage: bun run config:check
 */
import { ConfigError, loadConfig, unknownVariableWarnings } from '../src/config/config';

for (const warning of unknownVariableWarnings()) console.warn(`warning: ${warning}`);
try {
  loadConfig();
  console.log('configuration ok');
} catch (err) {
  console.error(ConfigError.is(err) ? err.message : String(err));
  process.exit(78);
}
