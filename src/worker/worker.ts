// The model worker: the plain API of api.ts, exposed with comlink. Nothing else.
import { expose } from 'comlink';
import { createWorkerApi } from './api.js';

expose(createWorkerApi());
