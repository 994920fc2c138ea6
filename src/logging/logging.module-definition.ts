import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { LoggingModuleOptions } from './logging.options.js';

export const { ConfigurableModuleClass: ConfigurableLoggingModule, MODULE_OPTIONS_TOKEN: LOGGING_MODULE_OPTIONS } =
  new ConfigurableModuleBuilder<LoggingModuleOptions>()
    .setClassMethodName('forRoot')
    .setExtras({ isGlobal: true }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
    .build();
