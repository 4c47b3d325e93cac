/** `iamctl events publish`: inject a CloudEvent as the platform would send it. */
import * as v from 'valibot';
import { defineCommand, usageError } from '../../command.ts';
import { publishCloudEvent, topicFor } from '../../cloud-events.ts';

const TopicName = v.pipe(v.string(), v.regex(/^[a-zA-Z][\w.~+%-]{2,254}$/, 'a Pub/Sub topic name'));

export default defineCommand({
  summary: 'publish a CloudEvent (binary binding) to Pub/Sub, as the platform would',
  usage: '--type T --data JSON [--topic NAME] [--id ID] [--source URI] [--ordering-key KEY]',
  flags: {
    type: { type: 'string' },
    data: { type: 'string' },
    topic: { type: 'string' },
    id: { type: 'string' },
    source: { type: 'string' },
    'ordering-key': { type: 'string' },
  },
  schema: v.strictObject({
    type: v.pipe(v.string(), v.regex(/^[A-Za-z0-9][\w.-]{0,254}$/, 'a dotted event type such as tenant.created.v1')),
    data: v.pipe(v.string(), v.minLength(1), v.maxLength(64 * 1024)),
    topic: v.optional(TopicName),
    id: v.optional(v.pipe(v.string(), v.regex(/^[\x21-\x7e]{1,256}$/, '1-256 printable characters'))),
    source: v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
    'ordering-key': v.optional(v.pipe(v.string(), v.minLength(1), v.maxLength(1024))),
  }),
  async run(ctx, flags) {
    let data: unknown;
    try {
      data = JSON.parse(flags.data);
    } catch {
      throw usageError('--data is not valid JSON');
    }
    const target = await ctx.target();
    const topic = flags.topic ?? topicFor(flags.type, target.config);
    if (topic === undefined) throw usageError(`no default topic for type '${flags.type}': give --topic`);
    const published = await publishCloudEvent(await ctx.publisher(), {
      topic,
      type: flags.type,
      data,
      ...(flags.id === undefined ? {} : { id: flags.id }),
      ...(flags.source === undefined ? {} : { source: flags.source }),
      ...(flags['ordering-key'] === undefined ? {} : { orderingKey: flags['ordering-key'] }),
    });
    return {
      human: [`published ${published.type} ${published.event_id} to ${published.topic} (message ${published.message_id})`],
      json: published,
    };
  },
});
