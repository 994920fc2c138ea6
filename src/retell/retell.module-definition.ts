import { ConfigurableModuleBuilder } from '@nestjs/common';
import type { RetellModuleOptions } from './retell.options.js';

export const {
  ConfigurableModuleClass: ConfigurableRetellModule,
  MODULE_OPTIONS_TOKEN: RETELL_MODULE_OPTIONS,
  OPTIONS_TYPE: RETELL_OPTIONS_TYPE,
  ASYNC_OPTIONS_TYPE: RETELL_ASYNC_OPTIONS_TYPE,
} = new ConfigurableModuleBuilder<RetellModuleOptions>()
  .setClassMethodName('forRoot')
  .setExtras({ isGlobal: false }, (definition, extras) => ({ ...definition, global: extras.isGlobal }))
  .build();
