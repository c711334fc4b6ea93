/** The probe's result: the `probe --format json` contract of DESIGN.md, extended. */
import type { CapturedRequest } from '../capture/types.js';
import type {
  Difference,
  NondeterministicChange,
  PersistentHiddenChar,
  UnexplainedChange,
} from '../core/request-diff/types.js';
import type { Level } from '../core/findings.js';
import type { RunPhase } from './plan.js';

export interface RunRecord {
  id: string;
  phase: RunPhase;
  repeat: number;
  /** `baseline`, or `tz=Asia/Shanghai,apiHost=deepseek`. */
  label: string;
  /** Factors that differ from the baseline. */
  changes: Record<string, string>;
  /** Every factor → value label. */
  assignment: Record<string, string>;
  /** The agent's environment (API keys redacted). */
  env: Record<string, string>;
  hostname: string;
  isolation: 'namespaces' | 'none';
  /** The agent ran as this uid (when the probe dropped privileges). */
  uid?: number;
  exitCode: number | null;
  signal: string | null;
  timedOut: boolean;
  durationMs: number;
  /** Head and tail of the agent's output. */
  stdout: string;
  stderr: string;
  requests: CapturedRequest[];
  /** Names the agent looked up (sandbox DNS). */
  dnsLookups: string[];
  /** What went wrong with this run, for a person. */
  problems: string[];
  /** Base URLs the run pointed the agent at. */
  apiBases: string[];
  /** Run-specific strings (paths, ports) erased before comparing. */
  artifacts: string[];
}

export interface MatrixSummary {
  name: string;
  factor: string;
  role: string;
  baseline: string;
  values: string[];
}

export interface ProbeResult {
  tool: 'telltale';
  version: string;
  agent: { command: string[]; resolved: string };
  matrix: MatrixSummary[];
  isolation: { mode: 'namespaces' | 'none'; description: string; runAs: string; masked: string[] };
  runs: RunRecord[];
  differences: Difference[];
  persistent: PersistentHiddenChar[];
  nondeterministic: NondeterministicChange[];
  unexplained: UnexplainedChange[];
  /** The baseline run every run was compared with (null when no baseline run made a request). */
  reference: string | null;
  /** Every host contacted, in any run, with request counts. */
  egress: Array<{ host: string; requests: number; runs: number; endpoints: string[] }>;
  summary: {
    verdict: 'covert-channel' | 'differences' | 'hidden-characters' | 'clean' | 'inconclusive';
    /** One line. */
    headline: string;
    highestLevel: Level | null;
    runs: number;
    runsWithRequests: number;
    timedOut: number;
    failed: number;
    wallMs: number;
    slowestRunMs: number;
    jobs: number;
    problems: string[];
  };
}
