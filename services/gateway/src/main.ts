import { runApi } from '@shop/shared/runtime/service'
import { gateway } from '../service.ts'

await runApi(gateway)
