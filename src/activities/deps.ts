/**
 * Everything the activities need, built once by the composition root (worker/main.ts) and
 * injected — no module-level singletons, so tests can build activities against their own servers.
 */
import type { Config } from '../config/config';
import type { MediaUploader } from '../clients/media-uploader';
import type { LlmClient } from '../clients/llm-client';
import type { RunwareClient } from '../clients/runware-client';
import type { ServiceClients } from '../clients/service-clients';
import type { Repositories } from '../repositories';
import type { Retention } from '../repositories/retention';
import type { Logger } from '../logger';

export interface ActivityDeps {
  config: Config;
  repos: Repositories;
  llm: LlmClient;
  runware: RunwareClient;
  services: ServiceClients;
  media: MediaUploader;
  log: Logger;
  /** Ask Runware's safety check about every render (image-activities.ts). @default true */
  contentSafety?: boolean;
  /** Stamps a settled world's records for expiry (repositories/retention.ts); absent: records never expire. */
  retention?: Retention;
}
