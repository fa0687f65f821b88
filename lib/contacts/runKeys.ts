/**
 * How a campaign run is named in the ledger (and in the report and run objects named after it):
 * `<campaign>@<run id>`, the run id being the minute it was due; a chunk of a fanned-out run
 * keeps its own progress under `<run>#<index>`.
 */
export const campaignRunKey = (campaign: string, runId: string) => `${campaign}@${runId}`;

export const chunkProgressKey = (run: string, index: number) => `${run}#${index}`;
