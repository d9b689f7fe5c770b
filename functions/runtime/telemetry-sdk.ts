// The OpenTelemetry SDK, imported by telemetry.ts only when an OTLP endpoint is set: a tracer
// provider with a batching processor, a meter provider that pushes periodically (a pod scaled to
// zero is never scraped), W3C Trace Context, and the OTLP/HTTP exporter the protocol names
// (http/protobuf, the default, or http/json). The exporters read the rest of the standard OTEL_*
// settings themselves (endpoints, headers, timeout, compression).
import { context, metrics, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { CompositePropagator, W3CBaggagePropagator, W3CTraceContextPropagator } from '@opentelemetry/core';
import { defaultResource, detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import { MeterProvider, PeriodicExportingMetricReader, type PushMetricExporter } from '@opentelemetry/sdk-metrics';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { randomUUID } from 'node:crypto';
import { rootLogger } from './log.js';

type Protocol = 'http/protobuf' | 'http/json';

/** The protocol of a signal: its own setting, else OTEL_EXPORTER_OTLP_PROTOCOL, else http/protobuf. */
const protocolOf = (specific: string | undefined): Protocol | undefined => {
  const value = (specific || process.env.OTEL_EXPORTER_OTLP_PROTOCOL || 'http/protobuf').trim();
  if (value === 'http/protobuf' || value === 'http/json') return value;
  rootLogger.error('unsupported OTLP protocol; telemetry stays off (use http/protobuf or http/json)', { protocol: value });
  return undefined;
};

const ratio = (): number => {
  const value = Number(process.env.OTEL_TRACES_SAMPLER_ARG ?? 1);
  return Number.isFinite(value) && value >= 0 && value <= 1 ? value : 1;
};

/** OTEL_TRACES_SAMPLER (and _ARG), as the specification names them; parentbased_always_on by default. */
export const samplerFromEnv = (): Sampler => {
  switch (process.env.OTEL_TRACES_SAMPLER ?? 'parentbased_always_on') {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio());
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio()) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
};

const traceExporter = async (protocol: Protocol): Promise<SpanExporter> =>
  protocol === 'http/json'
    ? new (await import('@opentelemetry/exporter-trace-otlp-http')).OTLPTraceExporter()
    : new (await import('@opentelemetry/exporter-trace-otlp-proto')).OTLPTraceExporter();

const metricExporter = async (protocol: Protocol): Promise<PushMetricExporter> =>
  protocol === 'http/json'
    ? new (await import('@opentelemetry/exporter-metrics-otlp-http')).OTLPMetricExporter()
    : new (await import('@opentelemetry/exporter-metrics-otlp-proto')).OTLPMetricExporter();

const exportIntervalMs = (): number => {
  const value = Number(process.env.OTEL_METRIC_EXPORT_INTERVAL ?? 60_000);
  return Number.isFinite(value) && value > 0 ? value : 60_000;
};

/** Starts the SDK; undefined when its settings are unusable (said in the log). */
export const startSdk = async (serviceName: string): Promise<{ flush(): Promise<void>; shutdown(): Promise<void> } | undefined> => {
  const env = process.env;
  const tracesWanted = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT);
  const metricsWanted = Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_METRICS_ENDPOINT);
  const tracesProtocol = tracesWanted ? protocolOf(env.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL) : undefined;
  const metricsProtocol = metricsWanted ? protocolOf(env.OTEL_EXPORTER_OTLP_METRICS_PROTOCOL) : undefined;
  if (!tracesProtocol && !metricsProtocol) return undefined;

  const resource = defaultResource()
    .merge(resourceFromAttributes({ 'service.name': env.K_SERVICE ?? serviceName, 'service.instance.id': randomUUID() }))
    .merge(detectResources({ detectors: [envDetector] }));

  const tracerProvider = tracesProtocol
    ? new TracerProvider({ resource, sampler: samplerFromEnv(), spanProcessors: [new BatchSpanProcessor({ exporter: await traceExporter(tracesProtocol) })] })
    : undefined;
  const meterProvider = metricsProtocol
    ? new MeterProvider({
        resource,
        readers: [new PeriodicExportingMetricReader({ exporter: await metricExporter(metricsProtocol), exportIntervalMillis: exportIntervalMs() })],
      })
    : undefined;

  const contextManager = new AsyncLocalStorageContextManager().enable();
  context.setGlobalContextManager(contextManager);
  propagation.setGlobalPropagator(new CompositePropagator({ propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()] }));
  if (tracerProvider) trace.setGlobalTracerProvider(tracerProvider);
  if (meterProvider) metrics.setGlobalMeterProvider(meterProvider);
  rootLogger.info('telemetry exporting over OTLP', { service: serviceName, traces: tracesProtocol ?? 'off', metrics: metricsProtocol ?? 'off' });

  return {
    flush: async () => {
      await Promise.all([tracerProvider?.forceFlush(), meterProvider?.forceFlush()]);
    },
    shutdown: async () => {
      try {
        await Promise.all([tracerProvider?.shutdown(), meterProvider?.shutdown()]);
      } finally {
        // A later start (a platform started again in the same process) registers anew.
        trace.disable();
        metrics.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
};
