/**
 * Every section of the configuration, one line each: `export { default as <key> } from './<file>';`.
 * The typed `Config` is inferred from these exports; the README table and `.env.example` list the sections in
 * alphabetical order of their export names (a module namespace is sorted). To add settings, see src/config/README.md.
 */
export { default as dataSafety } from './data-safety';
export { default as general } from './general';
export { default as images } from './images';
export { default as llm } from './llm';
export { default as mongo } from './mongo';
export { default as observability } from './observability';
export { default as services } from './services';
export { default as spend } from './spend';
export { default as temporal } from './temporal';
export { default as worker } from './worker';
