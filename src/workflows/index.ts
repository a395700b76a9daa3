/**
 * The workflow bundle entry. In the TypeScript SDK a workflow's type name is the name it is
 * exported under, so these exports ARE the nine workflow types; `InitWorldCreationWorkflow` is a
 * contract with world-service and must never be renamed. See ARCHITECTURE.md for the tree.
 */
export { InitWorldCreationWorkflow } from './init-world-creation';
export { GenerateWorldDescriptionWorkflow } from './generate-world-description';
export { GenerateWorldImageWorkflow } from './generate-world-image';
export { GenerateCharacterBatchWorkflow } from './generate-character-batch';
export { GenerateCharacterWorkflow } from './generate-character';
export { GenerateCharacterAvatarWorkflow } from './generate-character-avatar';
export { GeneratePostBatchWorkflow } from './generate-post-batch';
export { GeneratePostWorkflow } from './generate-post';
export { GeneratePostImageWorkflow } from './generate-post-image';
