/**
 * The failure taxonomy shared by activities (which throw these types) and workflows (which read
 * them). Pure data: it lives in the domain so that errors, activities and config never import
 * upward from the workflow layer.
 */
/** Failure types that no retry can fix. Activities throw them via `toApplicationFailure`. */
export const ErrorTypes = {
  invalidInput: 'InvalidInput',
  invalidModelOutput: 'InvalidModelOutput',
  insufficientModelOutput: 'InsufficientModelOutput',
  callLimitReached: 'CallLimitReached',
  upstreamRejected: 'UpstreamRejected',
  missingData: 'MissingData',
  workflowBug: 'WorkflowBug',
  stepFailed: 'StepFailed',
  /**
   * A creation whose response was lost may have committed, and the service offers no read-back that could tell
   * (CreateCharacter: character-service cannot list AI characters). Retrying could duplicate it, so it is not.
   */
  ambiguousCreation: 'AmbiguousCreation',
  /** An image Runware's safety check flagged, also after one regeneration with a safer prompt: never uploaded. */
  contentFlagged: 'ContentFlagged',
} as const;
