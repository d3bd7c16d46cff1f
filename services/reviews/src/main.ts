import { runApi } from '@shop/shared/runtime/service'
import { reviews } from '../service.ts'

await runApi(reviews)
