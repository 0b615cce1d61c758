/**
 * The layers of src/, enforced (`npm run lint` runs this after ESLint); docs/architecture.md,
 * "Layers", says what each is for and where a new job goes. From the bottom:
 *
 *   foundations     db/, doctorate/, vocabulary/, cron/, project-root.ts
 *   engine          engine/ (knows no job: it runs any JobDefinition)
 *   services        security/, events/, mail/, pdf/, observability/, discovery/, history/,
 *                   notifications/ (listeners and policies that plug into the engine)
 *   domain stores   archives/, anomalies/
 *   jobs            jobs/<name>/ one folder a job; jobs/registry.ts and jobs/schedules.ts
 *   entry points    app.ts, service.ts, cli.ts, cli/, http/, schedule/, lifecycle/
 *
 * A module imports its own layer and those below. config.ts and config/ stand apart: every
 * layer reads its settings, and they check each layer's settings with that layer's own rule
 * (the lease timing, the archive keys, a cron); `no-circular` keeps that from looping.
 */
const ENTRY = ['^src/(app|service|cli)\\.ts$', '^src/(cli|http|schedule|lifecycle)/'];
const JOBS = '^src/jobs/';
const DOMAIN = '^src/(archives|anomalies)/';
const SERVICES = '^src/(security|events|mail|pdf|observability|discovery|history|notifications)/';
const ENGINE = '^src/engine/';
const FOUNDATIONS = ['^src/(db|doctorate|vocabulary|cron)/', '^src/project-root\\.ts$'];

module.exports = {
  forbidden: [
    {
      name: 'jobs-are-independent',
      comment: 'A job folder imports no other job folder: what two jobs share lives in a domain store or a service, where its owner is clear.',
      severity: 'error',
      from: { path: '^src/jobs/([^/]+)/' },
      to: { path: JOBS, pathNot: '^src/jobs/$1/' },
    },
    {
      name: 'jobs-below-entry-points',
      comment: 'Jobs run from the scheduler, the API and the CLI alike, so they import none of them.',
      severity: 'error',
      from: { path: JOBS },
      to: { path: ENTRY },
    },
    {
      name: 'domain-stores-below-jobs',
      comment: 'The archive catalogue and the anomaly store serve jobs, routes and commands; they import none of those.',
      severity: 'error',
      from: { path: DOMAIN },
      to: { path: [...ENTRY, JOBS] },
    },
    {
      name: 'services-below-the-domain',
      comment: 'Mail, events, security, PDF and observability serve every job and route; none of them knows a job, a domain store or a route.',
      severity: 'error',
      from: { path: SERVICES },
      to: { path: [...ENTRY, JOBS, DOMAIN] },
    },
    {
      name: 'engine-knows-no-job',
      comment: 'The engine runs any job definition: a job-specific import (or a route, a listener) would make it run only ours.',
      severity: 'error',
      from: { path: ENGINE },
      to: { path: [...ENTRY, JOBS, DOMAIN, SERVICES] },
    },
    {
      name: 'foundations-at-the-bottom',
      comment: 'The database layer and the calendars know nothing of runs, jobs or routes.',
      severity: 'error',
      from: { path: FOUNDATIONS },
      to: { path: [...ENTRY, JOBS, DOMAIN, SERVICES, ENGINE] },
    },
    {
      name: 'no-circular',
      comment: 'A cycle between modules makes their load order matter and their layers meaningless.',
      severity: 'error',
      from: { path: '^src/' },
      to: { circular: true, viaOnly: { dependencyTypesNot: ['type-only'] } },
    },
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.json' },
  },
};
