import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ApiClient, ConsoleSettings } from './api';
import type { Session } from './auth';

export interface Services {
  session: Session;
  settings: ConsoleSettings;
  gateway: ApiClient;
  ledger: ApiClient;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside a signed-in console');
  return services;
}
