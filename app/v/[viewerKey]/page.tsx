import { ViewerPage } from '@/components/board/viewer-page';

export default async function Page({ params }: { params: Promise<{ viewerKey: string }> }) {
  const { viewerKey } = await params;
  return <ViewerPage viewerKey={viewerKey} />;
}
