import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { TwilioModuleOptions } from './twilio.options.js';

export const {
  ConfigurableModuleClass: ConfigurableTwilioModule,
  MODULE_OPTIONS_TOKEN: TWILIO_MODULE_OPTIONS,
  OPTIONS_TYPE: TWILIO_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: TWILIO_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<TwilioModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
