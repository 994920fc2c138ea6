import { Logger } from '@nestjs/common';

// Unit specs construct services directly; their log lines are noise in test output. Specs that assert on logging
// install their own logger.
Logger.overrideLogger(false);
