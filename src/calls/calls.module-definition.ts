import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { CallsModuleOptions } from './calls.options.js';

export const {
  ConfigurableModuleClass: ConfigurableCallsModule,
  MODULE_OPTIONS_TOKEN: CALLS_MODULE_OPTIONS,
  OPTIONS_TYPE: CALLS_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: CALLS_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<CallsModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
