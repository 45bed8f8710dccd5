import { PresenterPage } from '@/components/board/presenter-page';

export default async function Page({ params }: { params: Promise<{ viewerKey: string }> }) {
  const { viewerKey } = await params;
  return <PresenterPage viewerKey={viewerKey} />;
}
