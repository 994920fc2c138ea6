import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LoggingModuleOptions } from './logging.options.js';

export const {
  ConfigurableModuleClass: ConfigurableLoggingModule,
  MODULE_OPTIONS_TOKEN: LOGGING_MODULE_OPTIONS,
  OPTIONS_TYPE: LOGGING_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: LOGGING_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<LoggingModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
