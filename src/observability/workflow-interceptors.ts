/**
 * Workflow interceptor module, bundled into the workflow code (scripts/build.ts, and main.ts when it bundles at
 * start-up): OpenTelemetry spans for each workflow run, activity and child-workflow start, with the trace context
 * carried in Temporal headers. Runs inside the workflow sandbox — it must import only workflow-safe code (the
 * package's workflow entry uses the sandbox's own context manager and sends finished spans out through the
 * `exporter` sink, see tracing.ts).
 */
export { interceptors } from '@temporalio/interceptors-opentelemetry/lib/workflow-interceptors';
