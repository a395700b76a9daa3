/**
 * Typed MongoDB repositories: collection declarations, one factory per collection, and the pooled client.
 * @module
 */
export * from './errors';
export * from './define-collection';
export * from './collections';
export * from './mongo';
export * from './generation-status-repository';
export * from './task-repository';
export * from './world-parameters-repository';
export * from './api-request-repository';
export * from './side-effect-repository';
export * from './provider-call-repository';
export * from './repositories';
export * from './document-locks';
