/** CloudMonitor's alarm rules (CMS 2019-01-01) through `@alicloud/pop-core`: read by id, create or update by id. */
import type RPCClient from '@alicloud/pop-core';
import { alibabaRpcClient } from '#lib/cloud/alibabaRpc';
import type { CredentialsProvider } from '#lib/cloud/credentials';
import type { DescribedAlarm, RuleApi } from './ruleState';

/** DescribeMetricRuleList takes at most 20 rule ids a call. */
const IDS_PER_CALL = 20;
const OPTIONS = { method: 'POST', timeout: 10_000 };

export class CloudMonitorRules {
  private readonly client: RPCClient;

  constructor(
    credentials: CredentialsProvider,
    readonly endpoint: string,
  ) {
    this.client = alibabaRpcClient(credentials, endpoint, '2019-01-01');
  }

  /** The rules that exist among `ids`, by id. */
  async describe(ids: string[]): Promise<Map<string, DescribedAlarm>> {
    const found = new Map<string, DescribedAlarm>();
    for (let i = 0; i < ids.length; i += IDS_PER_CALL) {
      const chunk = ids.slice(i, i + IDS_PER_CALL);
      const reply = (await this.call('DescribeMetricRuleList', {
        RuleIds: chunk.join(','),
        Page: '1',
        PageSize: String(IDS_PER_CALL),
      })) as {
        Alarms?: { Alarm?: DescribedAlarm[] };
      };
      for (const alarm of reply.Alarms?.Alarm ?? []) if (chunk.includes(alarm.RuleId)) found.set(alarm.RuleId, alarm);
    }
    return found;
  }

  /** Creates the rule, or updates the one with the same RuleId. */
  async put(api: RuleApi, params: Record<string, string>): Promise<void> {
    await this.call(api, params);
  }

  /** One request; a refusal names the action and CloudMonitor's error code. */
  private async call(action: string, params: Record<string, string>): Promise<unknown> {
    try {
      return await this.client.request(action, params, OPTIONS);
    } catch (err) {
      const { code, message } = err as { code?: string; message: string };
      throw new Error(`CloudMonitor ${action} failed: ${code ? `${code}: ` : ''}${message}`, { cause: err });
    }
  }
}
