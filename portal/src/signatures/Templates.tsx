import { useApi } from '../api/use-api.ts';
import { PATHS, type TemplateList } from './api.ts';
import { SosImport } from './SosImport.tsx';

export function Templates({ isAdmin }: { isAdmin: boolean }) {
  const { data, error, reload } = useApi<TemplateList>(PATHS.templates);
  return (
    <section aria-labelledby="templates-title">
      <h1 id="templates-title">Signature templates</h1>
      <p className="muted">
        HTML signatures with placeholders for the user, their manager and the mailbox. Each save is a new version; rules decide who gets which template.
      </p>
      {isAdmin && (
        <p>
          <a className="button primary" href="#/signatures/templates/new">
            New template
          </a>
        </p>
      )}
      {isAdmin && <SosImport onImported={() => void reload()} />}
      {error && (
        <p role="alert" className="error">
          {error}
        </p>
      )}
      <div className="table-wrap">
        <table className="data">
          <caption className="visually-hidden">Templates</caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Description</th>
              <th scope="col">Version</th>
              <th scope="col">Changed (UTC)</th>
              <th scope="col">By</th>
            </tr>
          </thead>
          <tbody>
            {data?.templates.map((t) => (
              <tr key={t.id}>
                <td>
                  <a href={`#/signatures/templates/${t.id}`}>{t.name}</a>
                </td>
                <td>{t.description}</td>
                <td className="num">{t.currentVersion}</td>
                <td>{t.updatedAt.slice(0, 16).replace('T', ' ')}</td>
                <td>{t.updatedBy}</td>
              </tr>
            ))}
            {data && data.templates.length === 0 && (
              <tr>
                <td colSpan={5} className="muted">
                  No templates yet.
                </td>
              </tr>
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}
