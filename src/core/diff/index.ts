export { diffReports, summarize, type DiffOptions } from './diff-reports.js';
export { matchFindings, findingId, compareChanges } from './match.js';
export { compareDetails, detailSignature } from './details.js';
export { diffPackages, treeDigest, INSTALL_SCRIPTS } from './package-facts.js';
export { previousVersion, compareVersions, parseNpmTarget, type RegistryVersions } from './versions.js';
export * from './types.js';
