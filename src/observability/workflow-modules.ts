/**
 * The workflow interceptor modules every workflow bundle includes: the prebuilt one (scripts/build.ts), the one
 * main.ts bundles at start-up in development, and the golden replay test's, so what is replayed is what runs.
 */
import { fileURLToPath } from 'node:url';

export const WORKFLOW_INTERCEPTOR_MODULES: readonly string[] = [fileURLToPath(new URL('./workflow-interceptors.ts', import.meta.url))];
