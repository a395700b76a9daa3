/** Settings at the root of the config (`config.apiCallLimitHeadroom`, `config.logLevel`). */
import { defineSection, envVar } from '../define';
import { number, oneOf } from '../schemas';

export const LOG_LEVELS = ['debug', 'info', 'warn', 'error'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export default defineSection({
  key: '',
  title: 'General',
  vars: {
    apiCallLimitHeadroom: envVar({
      name: 'API_CALL_LIMIT_HEADROOM',
      schema: number(1, 100),
      default: '2',
      doc:
        'When a world arrives without `api_call_limits_*` (world-service never sends them), its limit is ceil(planned calls × headroom): room for retries and re-generation without letting a runaway loop spend unboundedly.',
      expected: 'a number 1..100',
    }),
    logLevel: envVar({
      name: 'LOG_LEVEL',
      schema: oneOf(LOG_LEVELS, (s) => s.toLowerCase()),
      default: 'info',
      doc: 'Lowest level logged.',
      expected: `one of ${LOG_LEVELS.join('|')}`,
    }),
  },
});
