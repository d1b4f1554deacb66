/**
 * The export formats, apart from the exporter itself: the protocol, the
 * webview's menu and the host's save dialog need them at once, the exporter
 * (exportHits.ts) only when the user exports.
 */
export type ExportFormat = 'ndjson' | 'json' | 'csv';

/** The formats in menu order. */
export const EXPORT_FORMATS: readonly ExportFormat[] = ['ndjson', 'json', 'csv'];

/** What a person picks: the webview's Export menu and the host's save dialog say the same. */
export const EXPORT_LABELS: Readonly<Record<ExportFormat, string>> = { ndjson: 'NDJSON (one hit per line)', json: 'JSON array', csv: 'CSV' };
