import { runApi } from '@shop/shared/service'
import { gateway } from '../service.ts'

await runApi(gateway)
