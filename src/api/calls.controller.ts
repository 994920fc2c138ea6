import { Body, Controller, Get, HttpCode, NotFoundException, Param, Post, Query, UseGuards } from '@nestjs/common';
import type { CallPage, CallRecord } from '../calls/call-record.js';
import { CallsService } from '../calls/calls.service.js';
import { OutboundCallService } from '../twilio/outbound-call.service.js';
import { ApiTokenGuard } from './api-token.guard.js';
import { ListCallsSchema, PlaceCallSchema, type ListCallsQuery, type PlaceCallDto } from './place-call.dto.js';
import { ZodValidationPipe } from './zod-validation.pipe.js';

/** The HTTP API for people and systems: place outbound calls, read call records. Bearer `API_TOKEN`. */
@Controller('calls')
@UseGuards(ApiTokenGuard)
export class CallsController {
  constructor(
    private readonly outbound: OutboundCallService,
    private readonly calls: CallsService,
  ) {}

  /** Places an outbound call; 201 `{ callSid }`. */
  @Post()
  @HttpCode(201)
  place(@Body(new ZodValidationPipe(PlaceCallSchema)) body: PlaceCallDto): Promise<{ callSid: string }> {
    return this.outbound.place(body);
  }

  /**
   * Call records, newest first; `cursor` from the previous page's `nextCursor` (with the same filters). Filters:
   * `from`, `to` (numbers as stored), `state`, `since` (created at or after) and `until` (created before).
   */
  @Get()
  list(@Query(new ZodValidationPipe(ListCallsSchema)) query: ListCallsQuery): Promise<CallPage> {
    return this.calls.list(query);
  }

  @Get(':callSid')
  async get(@Param('callSid') callSid: string): Promise<CallRecord> {
    const record = await this.calls.get(callSid);
    if (!record) throw new NotFoundException({ error: 'not_found', message: `No call ${callSid}` });
    return record;
  }
}
