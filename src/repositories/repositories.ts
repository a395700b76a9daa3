import type { Db } from 'mongodb';
import { createApiRequestRepository } from './api-request-repository';
import { createGenerationStatusRepository } from './generation-status-repository';
import { createSideEffectRepository } from './side-effect-repository';
import { createProviderCallRepository } from './provider-call-repository';
import { createTaskRepository } from './task-repository';
import { createWorldParametersRepository } from './world-parameters-repository';

/** Every repository over one database handle, built once by the composition root. */
export function createRepositories(db: Db) {
  return {
    status: createGenerationStatusRepository(db),
    tasks: createTaskRepository(db),
    worldParams: createWorldParametersRepository(db),
    audit: createApiRequestRepository(db),
    sideEffects: createSideEffectRepository(db),
    providerCalls: createProviderCallRepository(db),
  };
}

export type Repositories = ReturnType<typeof createRepositories>;
