-- The W3C traceparent of the transaction that wrote the event (null when tracing is off): the
-- consumer that takes the event continues that trace.
alter table outbox add column trace text;
